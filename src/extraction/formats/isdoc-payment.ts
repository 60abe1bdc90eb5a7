import { all, first, textAt } from './xml-nav.js';
import type { XmlNode } from './xml-parse.js';

/** ISDOC PaymentMeansCode values that pay into the seller's account (credit transfer, standing order). */
const ACCOUNT_PAYMENT_CODES = new Set(['42', '31', '20']);

/**
 * Every `PaymentMeans/Payment` of an ISDOC invoice. ERPs such as Pohoda list a cash or card part
 * before the bank transfer, so the transfer (the one with account details) is the one that
 * supplies IBAN, due date and variable symbol, whatever its position.
 */
export function isdocPayments(root: XmlNode): XmlNode[] {
  return all(root, 'PaymentMeans/Payment');
}

/** The bank-transfer payment: a transfer code with account details, else any with details. */
export function isdocTransferPayment(root: XmlNode): XmlNode | undefined {
  const payments = isdocPayments(root);
  const hasAccount = (p: XmlNode) =>
    !!(textAt(p, 'Details/IBAN') ?? textAt(p, 'Details/ID') ?? textAt(p, 'Details/PaymentDueDate'));
  return (
    payments.find((p) => ACCOUNT_PAYMENT_CODES.has(textAt(p, 'PaymentMeansCode') ?? '') && hasAccount(p)) ??
    payments.find(hasAccount) ??
    payments[0]
  );
}

export function isdocTransferDetails(root: XmlNode): XmlNode | undefined {
  return first(isdocTransferPayment(root), 'Details');
}
