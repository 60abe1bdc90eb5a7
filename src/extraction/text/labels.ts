import type { FieldName } from '../types.js';

/**
 * Registers whose abbreviation is written as part of the entry's number: the German
 * Handelsregister A and B, the Vereinsregister, the Austrian Firmenbuch. The company-id label
 * looks ahead at them and the company-id parser keeps them in the value.
 */
export const REGISTER_ABBREVIATIONS = 'HR[AB]|VR|FN';

/** A printed label for a field, with how strongly it implies the field (0..1). */
export interface Label {
  pattern: RegExp;
  weight: number;
}

const L = (source: string, weight = 1): Label => ({ pattern: new RegExp(source, 'iu'), weight });

/**
 * Labels in cs, sk, de, en, et, pl, fr. Patterns are matched against one layout cell; the value is
 * the rest of the cell, the next cell to the right, or the cell below.
 */
export const LABELS: Partial<Record<FieldName, Label[]>> = {
  invoiceNumber: [
    L('(?:rechnungs|beleg)(?:nummer|-?nr\\.?)'),
    L(
      '\\b(?:rechnung|gutschrift|handelsrechnung|kostenrechnung|mietrechnung|korrekturrechnung)\\b[^:]{0,40}?\\bnr\\.?',
      0.95,
    ),
    L('invoice\\s*(?:no\\.?|number|nr\\.?|#|id)'),
    L('(?:faktura|daňový doklad|faktúra)\\s*(?:č\\.|číslo|nr|-?\\s*daňový doklad\\s*č\\.)', 1),
    L('číslo (?:faktury|dokladu)|číslo faktúry|variabilní symbol faktury'),
    L('(?:numer faktury|faktura (?:vat )?nr)'),
    L('arve (?:nr|number)'),
    L('factuur(?:nummer|nr\\.?)'),
    L('(?:n°|numéro) (?:de )?facture|facture n°', 1),
    L('^(?:invoice|rechnung|facture|faktura|faktúra|arve|credit note|gutschrift|avoir)\\b', 0.75),
    L('\\bnr\\.?\\s*:', 0.4),
  ],
  issueDate: [
    L('(?:rechnungs|beleg|ausstellungs)datum'),
    L('(?:invoice|issue|billing|document) date|date of issue|dated'),
    L('date (?:de (?:la )?facture|d.émission)'),
    L('datum (?:vystavení|vyhotovenia|vystavenia)'),
    L('data (?:wystawienia|sprzedaży)', 0.9),
    L('(?:arve )?kuupäev'),
    L('factuurdatum'),
    // "vom 06.12.2013 bis zum 06.12.2014" is a period, not the date of the document.
    L('\\bvom\\b(?!.*\\bbis\\b)', 0.8),
    L('\\bissued (?:at|on)\\b', 0.9),
    L('^(?:datum|date|data|dátum)\\b', 0.6),
  ],
  dueDate: [
    L('fällig(?:keits(?:datum)?)?|zahlungsziel|zahlbar bis|zu zahlen bis'),
    L('(?:überweisen|zahlen)\\b[^.]{0,30}?\\bbis(?: zum)?', 0.9),
    L('due date|payment due|due by|pay by|remit (?:until|by)|payable (?:until|by)'),
    L('date d.échéance|échéance|date limite de paiement'),
    L('vervaldatum|uiterste betaaldatum'),
    L('datum splatnosti|dátum splatnosti|splatnost'),
    L('termin (?:płatności|zapłaty)'),
    L('maksetähtaeg|tähtaeg'),
  ],
  currency: [
    L('rechnungswährung|invoice currency|devise de (?:la )?facture'),
    L('währung|currency|devise|\\bměna|\\bmena\\b|waluta|valuuta', 0.9),
  ],
  'totals.gross': [
    L(
      'bruttosumme|gesamtbrutto|rechnungsbetrag|rechnungsbeitrag|gesamtbetrag(?! der)|rechnungssumme(?! ohne)|endbetrag|brutto(?!preis)',
    ),
    L('summe inkl\\.?(?: ust| mwst)?'),
    L('total ttc|montant ttc|total facture'),
    L('totaal(?! excl)|totaalbedrag|te betalen', 0.9),
    L(
      '(?:invoice |grand )?total(?: amount)?(?: \\S+)? (?:incl|including|inc)\\.?(?: vat| tax)?|grand total|invoice total|total amount',
    ),
    L('celkem s dph|celková částka|celkem(?! bez)|spolu s dph|celková suma|suma celkom'),
    L('razem brutto|wartość brutto|ogółem|razem'),
    L('kokku(?! tasuda)|summa kokku|arve summa', 0.9),
    L(
      '(?:rounded|nett|grand|final) total|total \\(?(?:amount|payable|incl\\.? gst|inclusive|sales \\(?inclusive)',
      1,
    ),
    L(
      '^total\\b(?!\\s*\\(?(?:ht|excl|net|tax|taxes|tva|vat|qty|quantity|items?|discount|gst|savings?|\\d+\\s?%))',
      0.7,
    ),
  ],
  'totals.net': [
    L('nettobetrag|summe netto|gesamtsumme netto|rechnungssumme ohne|netto(?!preis)|warenwert', 0.9),
    L('total ht|montant ht|sous-total', 0.9),
    L('exclusief btw|excl\\.? btw|subtotaal', 0.85),
    L('sub-?total|net amount|net total|total \\(?(?:excl|net|before tax|without)', 0.9),
    L('(?:gesamt|netto)beitrag', 0.7),
    L('celkem bez dph|základ (?:daně|dane)|spolu bez dph', 0.9),
    L('razem netto|wartość netto', 0.9),
    L('summa (?:km-ta|käibemaksuta)|maksustatav', 0.9),
  ],
  'totals.tax': [
    L('steuerbetrag|mwst\\.?-?betrag|umsatzsteuer(?:betrag)?|ust\\.?-?betrag|\\bmwst\\b|\\bust\\b', 0.9),
    L('versicherungs?steuer', 0.85),
    L('total (?:taxes|tva)|montant tva|\\btva\\b', 0.85),
    L('(?:total )?(?:vat|tax)(?: amount| total)?\\b', 0.8),
    L('dph celkem|celkem dph|výše dph|\\bdph\\b', 0.85),
    L('kwota vat|\\bvat\\b', 0.8),
    L('\\bbtw\\b', 0.8),
    L('käibemaks', 0.85),
  ],
  'totals.due': [
    L('zahlbetrag|zu zahlen(?! bis)|offener betrag|restbetrag'),
    L('amount due|balance due|total due|amount payable|due payable|to pay'),
    L('solde à payer|net à payer|reste à payer|somme à payer'),
    L('k úhradě|k úhrade|zbývá uhradit'),
    L('do zapłaty|pozostało do zapłaty'),
    L('tasuda|kokku tasuda'),
  ],
  'payment.reference': [
    L('variabilní symbol|variabilný symbol|\\bv\\.?s\\.?\\b|\\bvs\\b'),
    L('verwendungszweck|zahlungsreferenz|payment reference|référence de paiement|viitenumber|tytuł przelewu'),
  ],
  'seller.companyId': [
    // Per country: FR SIRET / SIREN, CZ / SK IČO, PL REGON / KRS, EE registrikood, NL KvK, DE / AT
    // Handelsregister / Firmenbuch, UK CRN, AU ACN, IN CIN, DK CVR, SE / NO organisationsnummer,
    // FI Y-tunnus, HU cégjegyzékszám.
    L(
      'siret|siren|\\bi[cč]o?\\b\\.?|\\bregon\\b|\\bkrs\\b|registrikood|äriregistri kood|\\bkvk\\b|kamer van koophandel|handelsregister(?:nummer)?|register(?:nummer|-?nr\\.?)|firmenbuch(?:nummer)?|\\bcrn\\b|\\bacn\\b|\\bcin\\b|\\bcvr(?:-?nr\\.?)?|\\borg(?:anisations|anisasjons)?\\.?\\s?(?:nr|nummer)\\b|y-tunnus|cégjegyzékszám|\\bcg\\.',
      0.9,
    ),
    // The register's abbreviation is part of the number as the register writes it ("HRB 12345",
    // "VR 98765", "FN 123456a"), so that label is only looked ahead at and stays in the value.
    L(`\\b(?=(?:${REGISTER_ABBREVIATIONS})(?:\\s?(?:nr|no)\\.?)?\\s?:?\\s?\\d)`, 0.9),
    // "VAT Registration No." / "GST Reg No." label a tax id, not the company's registration.
    L(
      'company (?:reg(?:istration)?\\.? )?(?:no|number|id)|registered (?:in [\\p{L} ]{3,30}? )?(?:no|number)|chamber of commerce|(?<!(?:vat|tax|gst|sst|tva|btw|ust)\\.?\\s?)(?:registration (?:no|number)|reg\\. ?no|re[gģ]\\.? ?(?:nr|kood)\\b)',
      0.85,
    ),
  ],
  'seller.vatId': [L('ust\\.?-?id|uid|vat|tva|dič|ič dph|nip|kmkr|umsatzsteuer-?id|steuer-?id', 1)],
};

/**
 * Headings that open a block of a third party (delivery address, payee, tax representative); its
 * names and VAT IDs belong to neither seller nor buyer. Checked before the buyer and seller headings.
 */
export const OTHER_HEADING =
  /(?:abweichende[rs]? (?:waren|zahlungs|rechnungs)?empfänger|warenempfänger|zahlungsempfänger|lieferanschrift|lieferadresse|steuerbevollmächtigte|tax representative|ship(?:ped)? to|deliver(?:y)? (?:to|address)|payee|adresse de livraison|dodací adresa|adres dostawy)/iu;

/** Headings that open the buyer's block; VAT IDs and names under them belong to the buyer. */
export const BUYER_HEADING =
  /(?:(?<!ver)käufer(?!s)|kunde\b|rechnungsempfänger|leistungsempfänger|buyer|customer|bill(?:ed)? to|sold to|invoice to|client|destinataire|facturé à|odběratel|odberateľ|příjemce|nabywca|odbiorca|ostja|klient|n° tva client)/iu;

/** Headings that open the seller's block. */
export const SELLER_HEADING =
  /(?:verkäufer(?!s)|lieferant\b|rechnungssteller|seller|supplier|sold by|vendor|from:|vendeur|émetteur|dodavatel|dodávateľ|sprzedawca|müüja|tarnija)/iu;

/** Legal-form suffixes that mark a line as a company name. */
export const LEGAL_FORM =
  /\b(?:GmbH(?: & Co\.? KG)?|AG|KG|OHG|e\.\s?K\.|UG|SE|s\.\s?r\.\s?o\.|spol\. s r\.o\.|a\.\s?s\.|k\.\s?s\.|v\.\s?o\.\s?s\.|Sp\. z o\.\s?o\.|S\.A\.|OÜ|AS|SARL|SAS|SA|EURL|Ltd\.?|Limited|LLC|Inc\.?|PLC|B\.V\.|N\.V\.|BVBA|S\.p\.A\.|S\.r\.l\.|Corporation|Corp\.?|Pvt\.? Ltd\.?|a\.G\.|e\.V\.|S[Dd][Nn]\.? B[Hh][Dd]\.?|BHD|Bhd|Pte\.? Ltd\.?|ApS|A\/S|Oy|AB|Kft\.|Zrt\.|d\.o\.o\.|S\.L\.|SIA|UAB|sp\. j\.|sp\.k\.)(?=$|[\s,.)])/u;
