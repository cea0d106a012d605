/**
 * Runs a Postman collection (postman/) with Newman against a test gateway and fails with every
 * assertion Newman reported, plus the gateway's logs. An empty or assertion-less run cannot pass.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import newman, { type NewmanRunOptions, type NewmanRunSummary } from "newman";
import type { SuiteGateway } from "./gateway";

const POSTMAN = path.join(__dirname, "..", "..", "postman");
const ENVIRONMENT = path.join(POSTMAN, "local.postman_environment.json");

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

/**
 * Runs `postman/<file>` with the local environment pointed at `gateway` (Newman keeps cookies in
 * its jar, as a browser would), and checks: zero failures, every request ran, and the scripts
 * asserted at least three things per request on average.
 */
export async function runCollection(file: string, gateway: SuiteGateway): Promise<void> {
  const collectionPath = path.join(POSTMAN, file);
  const collection = JSON.parse(readFileSync(collectionPath, "utf8")) as {
    item: CollectionItem[];
  };
  const summary = await run({
    collection: collectionPath,
    environment: ENVIRONMENT,
    envVar: [{ key: "baseUrl", value: gateway.url }],
    reporters: [],
    timeoutRequest: 10_000,
  });
  const failures = summary.run.failures.map((failure) => {
    const source = (failure.source as { name?: string } | undefined)?.name ?? "collection";
    return `${source}: ${failure.error.name} ${failure.error.message}`;
  });
  if (failures.length > 0) {
    throw new Error(
      `Newman reported ${failures.length} failure(s):\n- ${failures.join("\n- ")}\n\nGateway logs:\n${gateway.logs()}`,
    );
  }
  const requests = countRequests(collection.item);
  expect(summary.run.stats.requests.total).toBe(requests);
  expect(summary.run.stats.requests.failed).toBe(0);
  expect(summary.run.stats.assertions.total).toBeGreaterThanOrEqual(requests * 3);
  expect(summary.run.stats.assertions.failed).toBe(0);
}
