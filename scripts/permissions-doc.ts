/** `npm run docs:permissions`: rewrites docs/permissions.md from the API's routes (see permissions-matrix.ts). */
import { writeFileSync } from 'node:fs';
import { buildOpenApiDocument } from './openapi-document.js';
import { PERMISSIONS_DOC, renderPermissionsDoc } from './permissions-matrix.js';

writeFileSync(PERMISSIONS_DOC, await renderPermissionsDoc((await buildOpenApiDocument()) as never));
console.log(`wrote ${PERMISSIONS_DOC}`);
// BullMQ's connections to the unreachable Redis keep scheduling reconnects after they are closed.
process.exit(0);
