export function describeRoutes(_app: unknown): never[] { return []; }
