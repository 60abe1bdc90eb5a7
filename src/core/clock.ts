/** The current time. Injected wherever time matters (expiry, lockouts), so tests can move it. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();
