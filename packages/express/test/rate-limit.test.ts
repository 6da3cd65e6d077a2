import { describeRateLimitScenarios } from '../../../test/fixtures/rate-limit-scenarios.js';
import { express4Harness, express5Harness } from '../../../test/fixtures/rate-limit-apps.js';

describeRateLimitScenarios('Express 4', express4Harness);
describeRateLimitScenarios('Express 5', express5Harness);
