import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv } from 'ajv';

const require = createRequire(import.meta.url);
const schema = JSON.parse(
  readFileSync(
    new URL('../fixtures/teams/schemas/adaptive-card.1.5.0.json', import.meta.url),
    'utf8',
  ),
) as Record<string, unknown>;
// NOTE: the schema names itself with the pre-draft-06 `id` keyword, which Ajv 8 refuses; the
// same value moves to `$id` (the copy on disk stays byte-for-byte the published file).
const { id, ...rest } = schema;
const cardSchema = { ...rest, $id: String(id) };

// The Adaptive Card schema is draft-06.
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
ajv.addMetaSchema(require('ajv/dist/refs/json-schema-draft-06.json') as object);
const validate = ajv.compile(cardSchema);

/** Schema problems of a card (empty when it is a valid Adaptive Card 1.5). */
export function cardSchemaProblems(card: Record<string, unknown>): string[] {
  // NOTE: `msteams` (mention entities, full width) is Teams' host extension of the card root,
  // outside the Adaptive Card schema; everything else must be plain Adaptive Card 1.5.
  const { msteams, ...plain } = card;
  if (msteams !== undefined && (typeof msteams !== 'object' || msteams === null))
    return ['/msteams must be an object'];
  if (validate(plain)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}
