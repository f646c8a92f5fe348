// Generates generated/api.d.ts from the live schema with openapi-typescript, as its docs
// show for file uploads: `format: binary` becomes `Blob`, so a photo is passed as one
// (https://openapi-ts.dev/node#example-blob-types). Usage: tsx generate.ts SCHEMA_URL
import { mkdirSync, writeFileSync } from "node:fs";
import openapiTS, { astToString } from "openapi-typescript";
import ts from "typescript";

const source = process.argv[2];
if (!source) {
  console.error("usage: tsx generate.ts http://HOST/api/schema/");
  process.exit(2);
}
const BLOB = ts.factory.createTypeReferenceNode(ts.factory.createIdentifier("Blob"));
const NULL = ts.factory.createLiteralTypeNode(ts.factory.createNull());

const ast = await openapiTS(new URL(source), {
  transform(schemaObject) {
    if (schemaObject.format === "binary") {
      return schemaObject.nullable ? ts.factory.createUnionTypeNode([BLOB, NULL]) : BLOB;
    }
    return undefined;
  },
});
mkdirSync(new URL("./generated/", import.meta.url), { recursive: true });
writeFileSync(new URL("./generated/api.d.ts", import.meta.url), astToString(ast));
console.log("generated/api.d.ts from", source);
