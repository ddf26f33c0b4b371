/** OpenAI's Files API shapes (types only). */

/** Purposes OpenAI defines; the gateway stores `batch` files and serves `batch_output` ones. */
export type FilePurpose =
  | 'assistants'
  | 'assistants_output'
  | 'batch'
  | 'batch_output'
  | 'fine-tune'
  | 'fine-tune-results'
  | 'vision'
  | 'user_data'
  | 'evals';

/** OpenAI's FileObject. */
export interface FileObject {
  id: string;
  object: 'file';
  bytes: number;
  /** Unix seconds. */
  created_at: number;
  /** Unix seconds; null: the gateway never expires files (S3 lifecycle rules may). */
  expires_at: number | null;
  filename: string;
  purpose: FilePurpose | string;
  /** Deprecated by OpenAI but still sent: always `processed` (validation happens during the upload). */
  status: 'uploaded' | 'processed' | 'error';
  status_details: string | null;
}

export interface FileList {
  object: 'list';
  data: FileObject[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

export interface FileDeleted {
  id: string;
  object: 'file';
  deleted: true;
}
