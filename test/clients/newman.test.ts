/**
 * Runs the Postman collection (postman/) with Newman against a full local-mode gateway, so the
 * collection shipped to front-end developers is known to pass against the real thing.
 */
import { useTestGateway } from "../helpers/gateway";
import { runCollection } from "../helpers/newman";

describe("Postman collection", () => {
  const gateway = useTestGateway({ LOCAL_MFA: "optional" });

  test("runs against the gateway with zero failures", async () => {
    await runCollection("cognito-gateway.postman_collection.json", gateway);
  }, 180_000); // a long collection (every route, two second-boundary waits) on a busy machine
});
