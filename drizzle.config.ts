import { defineConfig } from 'drizzle-kit';

// Used only by `npm run db:generate`: migrations are generated from the schema and committed.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema/index.ts',
  out: './migrations',
});
