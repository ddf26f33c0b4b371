/**
 * Where a batch lives in the account's bucket (under the account's `batch.s3Prefix`):
 *
 * ```
 * batches/{folder}/records.jsonl        Bedrock's input: one record per request line
 * batches/{folder}/map.jsonl            per record, in input order: custom_id and translation hints
 * batches/{folder}/batch.json           the BatchDescriptor (endpoint, input file, model, owner, metadata)
 * batches/{folder}/output/{jobId}/records.jsonl.out, manifest.json.out   written by Bedrock
 * batches/{folder}/cost-counted         marker: the batch's cost entered the metrics (conditional create)
 * batches/{folder}/{output|error}-file-bytes.json   the size of a finished batch's output / error file
 * ```
 * The Files API keeps to `files/`, so none of this shows up in GET /v1/files.
 */
import { randomBytes } from 'node:crypto';

export const BATCHES_DIR = 'batches/';
const FOLDER_RE = /^[a-z0-9]{8,64}$/;

/** A fresh folder name: 24 lower-case hex characters. */
export function newFolderName(): string {
  return randomBytes(12).toString('hex');
}

/** The keys of a batch's objects, relative to the account prefix (the store adds it). */
export function batchKeys(folder: string, jobId?: string) {
  const base = `${BATCHES_DIR}${folder}/`;
  return {
    folder: base,
    records: `${base}records.jsonl`,
    map: `${base}map.jsonl`,
    descriptor: `${base}batch.json`,
    output: `${base}output/`,
    outputRecords: jobId === undefined ? undefined : `${base}output/${jobId}/records.jsonl.out`,
    manifest: jobId === undefined ? undefined : `${base}output/${jobId}/manifest.json.out`,
    costMarker: `${base}cost-counted`,
  };
}

/**
 * The folder of a job this gateway created, from the job's input URI and the account's bucket and
 * prefix; undefined for any other job (created elsewhere, or for another account).
 */
export function folderOfInputUri(inputUri: string | undefined, bucket: string, prefix: string): string | undefined {
  if (inputUri === undefined) return undefined;
  const head = `s3://${bucket}/${prefix}${BATCHES_DIR}`;
  if (!inputUri.startsWith(head) || !inputUri.endsWith('/records.jsonl')) return undefined;
  const folder = inputUri.slice(head.length, -'/records.jsonl'.length);
  return FOLDER_RE.test(folder) ? folder : undefined;
}
