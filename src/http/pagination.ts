import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { badRequest } from './errors.ts';
import { memoized } from './memo.ts';

export const PageQuery = Type.Object({
  page: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1, description: 'Page number, from 1' }),
  ),
  page_size: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 1_000_000,
      default: 20,
      description: 'Items per page; values over 100 are treated as 100',
    }),
  ),
});
export type PageQuery = Static<typeof PageQuery>;

/** The spec's page envelope around a list of `item`. */
export const Page = <T extends TSchema>(item: T) =>
  Type.Object({
    count: Type.Integer(),
    next: Type.Union([Type.String({ format: 'uri' }), Type.Null()]),
    previous: Type.Union([Type.String({ format: 'uri' }), Type.Null()]),
    results: Type.Array(item),
  });

export const MAX_PAGE_SIZE = 100;

export interface PageWindow {
  page: number;
  pageSize: number;
  limit: number;
  offset: number;
}

export function pageWindow(query: PageQuery): PageWindow {
  const page = query.page ?? 1;
  // Clamped rather than refused, as the original API did: existing clients ask for large pages.
  const pageSize = Math.min(query.page_size ?? 20, MAX_PAGE_SIZE);
  return { page, pageSize, limit: pageSize, offset: (page - 1) * pageSize };
}

/**
 * The total behind a page, counted only when the page cannot tell: a page that is not full and not
 * empty ends the list, so the total is its offset plus its length (most users' first page of trips
 * or days). Saves the count query, a third of a short list's database work.
 */
export async function totalOf(
  window: PageWindow,
  rows: number,
  count: () => Promise<number>,
): Promise<number> {
  if (rows > 0 && rows < window.limit) return window.offset + rows;
  if (rows === 0 && window.offset === 0) return 0;
  return count();
}

/** Builds `{count, next, previous, results}` with absolute URLs that keep the other query parameters. */
export function paginate<T>(request: FastifyRequest, window: PageWindow, count: number, results: T[]) {
  const link = (page: number) => {
    const url = new URL(request.url, absoluteBase(request));
    url.searchParams.set('page', String(page));
    url.searchParams.set('page_size', String(window.pageSize));
    return url.toString();
  };
  const lastPage = Math.max(1, Math.ceil(count / window.pageSize));
  return {
    count,
    next: window.page < lastPage ? link(window.page + 1) : null,
    previous: window.page > 1 ? link(Math.min(window.page - 1, lastPage)) : null,
    results,
  };
}

/**
 * `https://host` as the client reached us (through trusted proxies only). A Host header that
 * cannot form a URL (`localhost:99999`, stray characters) is the client's error, not a 500 from
 * `new URL` in whoever builds a link; ALLOWED_HOSTS refuses unknown names before this in production.
 */
export function absoluteBase(request: FastifyRequest): string {
  return validBase(`${request.protocol}://${request.host}`);
}

const validBase = memoized((base: string) => {
  try {
    new URL(base);
    return base;
  } catch {
    throw badRequest('Invalid Host header.', 'invalid_host');
  }
});
