export { createTestIssuer, type MintOptions, type TestAlgorithm, type TestIssuer, type TestIssuerOptions } from './issuer.js';
export { createDpopHolder, type DpopHolder, type ProofOptions } from './dpop.js';
