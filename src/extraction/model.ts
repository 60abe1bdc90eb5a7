/**
 * The result model without the engine: types, field names, errors and corrections. Code that
 * handles extraction results but never runs the engine (the API process) imports this module:
 * `index.ts` also loads mupdf, tesseract.js and zxing-wasm (~35 MB of WASM memory and 5 MB of
 * heap that every garbage collection would trace).
 */
export {
  EXTRACTION_ERROR_CODES,
  ExtractionError,
  isExtractionErrorCode,
  type ExtractionErrorCode,
} from './errors.js';
export type {
  DocumentFormat,
  ExtractedField,
  ExtractionResult,
  ExtractOptions,
  FieldName,
  FieldSource,
  FieldCheck,
  Finding,
  InvoiceLine,
  VatBreakdownRow,
} from './types.js';
export { FIELD_NAMES } from './types.js';
export { reviewNeeded } from './finalize.js';
export type { FieldPlace, KnownSupplier, PlacedField, SupplierMatchKey } from './suppliers/directory.js';
export {
  idKey,
  invoiceNumberShape,
  isSameSupplier,
  matchSupplier,
  nameKey,
  placeOf,
  PLACED_FIELDS,
  supplierIdentity,
  termsDays,
  type SupplierIdentity,
} from './suppliers/directory.js';
export type {
  ConstantField,
  FieldHint,
  HintAnchor,
  LearnedConstants,
  LearnedSupplier,
  SharedLabel,
} from './hints/types.js';
export { isShareableLabel, MAX_SHARED_LABELS, MAX_SHARED_LABELS_PER_FIELD } from './hints/shared-labels.js';
export { CONSTANT_FIELDS, FILLED_FROM_SUPPLIER_PROFILE } from './hints/types.js';
export type { TextLayer } from './hints/text-layer.js';
export {
  boundTextLayer,
  layerUnits,
  layerWords,
  MAX_LAYER_CHARS,
  MAX_LAYER_WORDS,
} from './hints/text-layer.js';
export { learnFieldHint } from './hints/learn.js';
export { labelKey } from './hints/values.js';
export { applyRegistryFacts, type RegistryFacts } from './suppliers/registry-facts.js';
export {
  applyCorrections,
  isFieldName,
  normaliseFieldValue,
  type CorrectionProblem,
  type FieldChange,
} from './corrections.js';
export { isValidIban } from './validate/iban.js';
