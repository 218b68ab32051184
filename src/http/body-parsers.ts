import type { FastifyInstance } from 'fastify';
import secureJsonParse from 'secure-json-parse';
import { AppError } from './errors.ts';

/**
 * JSON bodies: an empty body counts as `{}` (clients send `Content-Type: application/json` on
 * body-less POSTs), and `__proto__`/`constructor.prototype` keys are refused.
 */
export function installJsonParser(app: FastifyInstance): void {
  app.removeContentTypeParser(['application/json']);
  app.addContentTypeParser(
    /^application\/([\w.+-]+\+)?json(\s*;.*)?$/i,
    { parseAs: 'string' },
    (_request, body, done) => {
      const text = String(body);
      if (text.trim() === '') return done(null, {});
      try {
        done(
          null,
          secureJsonParse.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }),
        );
      } catch {
        done(new AppError(400, 'malformed_json', 'Request body is not valid JSON.'), undefined);
      }
    },
  );
}
