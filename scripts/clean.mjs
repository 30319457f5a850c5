// First step of `npm run build`: start from an empty dist/, so JavaScript of a deleted or renamed
// source or test file cannot linger there (and keep running in `node --test dist/test/...`).
import { rmSync } from 'node:fs';

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
