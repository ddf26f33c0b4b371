/** JSON values as they appear in request and response bodies (Smithy `document` on the Bedrock side). Types only. */

/** Any JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };
