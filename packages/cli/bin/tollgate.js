#!/usr/bin/env node
// The `tollgate` command. A plain file, present before the TypeScript build, so npm can link it
// at install time; the program itself is in dist/ (`npm run build`).
import '../dist/bin.js';
