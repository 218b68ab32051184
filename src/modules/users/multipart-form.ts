import type {} from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { AppError, badRequest, fieldError, payloadTooLarge } from '../../http/errors.ts';

export interface UploadedFile {
  field: string;
  data: Buffer;
}

declare module 'fastify' {
  interface FastifyRequest {
    uploadedFile?: UploadedFile;
  }
}

/**
 * A preValidation hook: reads a multipart form into `request.body` (text fields) and
 * `request.uploadedFile` (the one allowed file, size-capped while streaming), so the route's
 * multipart schema validates the fields like a JSON body.
 */
export function readMultipartForm(fileField: string, maxBytes: number) {
  return async (request: FastifyRequest) => {
    if (!request.isMultipart()) return;
    const fields: Record<string, string> = {};
    try {
      for await (const part of request.parts({
        limits: { fileSize: maxBytes, files: 1, fields: 20, fieldSize: 64 * 1024 },
      })) {
        if (part.type === 'file') {
          if (part.fieldname !== fileField) {
            part.file.resume();
            throw fieldError(part.fieldname, `Unexpected file; only "${fileField}" takes a file.`);
          }
          const data = await part.toBuffer();
          // A browser form with no file chosen still sends the field: empty, without a file name.
          if (data.length === 0 && !part.filename) continue;
          request.uploadedFile = { field: part.fieldname, data };
        } else {
          fields[part.fieldname] = String(part.value);
        }
      }
    } catch (error) {
      if ((error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') {
        throw payloadTooLarge('Uploaded file is too large.', {
          [fileField]: [`The file must be at most ${maxBytes} bytes.`],
        });
      }
      // Our own errors and @fastify/multipart's limits (4xx) pass as they are; anything else came
      // from the form parser choking on the bytes (no final boundary, garbage): the client's fault.
      if (error instanceof AppError || (error as { statusCode?: number }).statusCode) throw error;
      throw badRequest('Request body is not a valid multipart form.', 'malformed_multipart');
    }
    request.body = fields;
  };
}
