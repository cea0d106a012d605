/** The test's redis-server: the same launcher `npm run bench` uses. */
export { freePort, startRedis, type TestRedis } from "../../scripts/redis-server";
