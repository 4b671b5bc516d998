import { rateLimitDetail } from './rate-limit.guard';

describe('the detail of a 429', () => {
  it.each([
    ['sign-up:203.0.113.7', 10, 3_600_000, 2_940, 'This address sent 10 sign-ups within the hour, the most SIGNUPS_PER_ADDRESS_PER_HOUR allows: retry after 2940 s.'],
    ['organization:5b0d6c1e-2f7a-4c41-9d8e-0c2a4f1b7e10', 200, 1000, 1, 'The API keys of this organization together made more than 200 requests a second (RATE_LIMIT_PER_ORGANIZATION): retry after 1 s.'],
    ['key:3f2a9c4e8b1d', 50, 1000, 1, 'This API key made more than 50 requests a second (RATE_LIMIT_PER_KEY): retry after 1 s.'],
    ['ip:2001:db8:7:9::/64', 20, 1000, 1, 'This address made more than 20 requests a second without an API key (RATE_LIMIT_PER_ADDRESS): retry after 1 s.'],
    ['key:3f2a9c4e8b1d', 600, 60_000, 42, 'This API key made more than 600 requests in 60 s (RATE_LIMIT_PER_KEY): retry after 42 s.'],
  ])('names the limit %s reached', (tracker, limit, ttl, timeToBlockExpire, detail) => {
    expect(rateLimitDetail({ tracker, limit, ttl, timeToBlockExpire })).toBe(detail);
  });
});
