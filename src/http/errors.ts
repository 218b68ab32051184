/** Field name → problems, as existing clients read them from `error.details`. */
export type ErrorDetails = Record<string, string[]>;

/** An error whose status, machine code and message are safe to send to the client as they are. */
export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    readonly type: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const validationError = (details: ErrorDetails, message = 'Invalid input.') =>
  new AppError(400, 'validation_error', message, details);

/** A 400 for one field, the most common case in use cases. */
export const fieldError = (field: string, problem: string) => validationError({ [field]: [problem] });

export const badRequest = (message: string, type = 'bad_request', details: ErrorDetails = {}) =>
  new AppError(400, type, message, details);

export const notAuthenticated = (message = 'Authentication credentials were not provided.') =>
  new AppError(401, 'not_authenticated', message, {}, { 'www-authenticate': 'Bearer' });

export const invalidToken = (message = 'Token is invalid or expired.') =>
  new AppError(401, 'token_not_valid', message, {}, { 'www-authenticate': 'Bearer error="invalid_token"' });

export const authenticationFailed = (message = 'No active account found with the given credentials.') =>
  new AppError(401, 'authentication_failed', message);

export const permissionDenied = (message = 'You do not have permission to perform this action.') =>
  new AppError(403, 'permission_denied', message);

export const notFound = (message = 'Not found.') => new AppError(404, 'not_found', message);

export const conflict = (message: string, details: Record<string, unknown> = {}) =>
  new AppError(409, 'conflict', message, details);

/** 412 with the current object, so the client can merge without another round trip. */
export const preconditionFailed = (current: unknown) =>
  new AppError(412, 'precondition_failed', 'The object was changed by someone else; reload it and retry.', {
    current,
  });

export const payloadTooLarge = (message = 'Request body is too large.', details: ErrorDetails = {}) =>
  new AppError(413, 'payload_too_large', message, details);

export const serviceUnavailable = (message = 'Service temporarily unavailable.') =>
  new AppError(503, 'service_unavailable', message, {}, { 'retry-after': '5' });
