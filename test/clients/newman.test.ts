/**
 * Runs the Postman collection (postman/) with Newman against a full local-mode gateway, so the
 * collection shipped to front-end developers is known to pass against the real thing.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import newman, { type NewmanRunOptions, type NewmanRunSummary } from "newman";
import { startTestGateway } from "../helpers/gateway";

const ROOT = path.join(__dirname, "..", "..");
const COLLECTION = path.join(ROOT, "postman", "cognito-gateway.postman_collection.json");
const ENVIRONMENT = path.join(ROOT, "postman", "local.postman_environment.json");

interface CollectionItem {
  name: string;
  item?: CollectionItem[];
}

/** Number of requests in the collection (folders nest requests). */
function countRequests(items: readonly CollectionItem[]): number {
  return items.reduce((sum, item) => sum + (item.item ? countRequests(item.item) : 1), 0);
}

function run(options: NewmanRunOptions): Promise<NewmanRunSummary> {
  return new Promise((resolve, reject) => {
    newman.run(options, (error, summary) => {
      if (error) reject(error);
      else resolve(summary);
    });
  });
}

type Gateway = Awaited<ReturnType<typeof startTestGateway>>;

describe("Postman collection", () => {
  let gateway: Gateway | undefined;

  beforeAll(async () => {
    gateway = await startTestGateway({ LOCAL_MFA: "optional" });
  }, 60_000);

  afterAll(async () => {
    await gateway?.close();
  });

  test("runs against the gateway with zero failures", async () => {
    const collection = JSON.parse(readFileSync(COLLECTION, "utf8")) as { item: CollectionItem[] };
    const summary = await run({
      collection: COLLECTION,
      environment: ENVIRONMENT,
      envVar: [{ key: "baseUrl", value: gateway!.url }],
      reporters: [],
      timeoutRequest: 10_000,
    });

    const failures = summary.run.failures.map((failure) => {
      const source = (failure.source as { name?: string } | undefined)?.name ?? "collection";
      return `${source}: ${failure.error.name} ${failure.error.message}`;
    });
    if (failures.length > 0) {
      throw new Error(
        `Newman reported ${failures.length} failure(s):\n- ${failures.join("\n- ")}\n\nGateway logs:\n${gateway!.logs()}`,
      );
    }
    // Every request ran and every script asserted something: an empty run cannot pass.
    const requests = countRequests(collection.item);
    expect(summary.run.stats.requests.total).toBe(requests);
    expect(summary.run.stats.requests.failed).toBe(0);
    expect(summary.run.stats.assertions.total).toBeGreaterThanOrEqual(requests * 3);
    expect(summary.run.stats.assertions.failed).toBe(0);
  }, 180_000); // a long collection (every route, two second-boundary waits) on a busy machine
});
