/** The test's redis-server: the same launcher `npm run bench` uses. */
export { startRedis, type TestRedis } from "../../tools/lib/redis";
export { freePort } from "../../tools/lib/http";
