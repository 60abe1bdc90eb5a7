/** `npm run api:types`: regenerates test/e2e/generated/doklad-api.ts (see api-types-generate.ts). */
import { writeFileSync } from 'node:fs';
import { API_TYPES_FILE, generateApiTypes } from './api-types-generate.js';
import { buildOpenApiDocument } from './openapi-document.js';

writeFileSync(API_TYPES_FILE, await generateApiTypes(await buildOpenApiDocument()));
console.log(`wrote ${API_TYPES_FILE}`);
// BullMQ's connections to the unreachable Redis keep scheduling reconnects after they are closed.
process.exit(0);
