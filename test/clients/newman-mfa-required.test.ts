/**
 * Runs the "MFA required" Postman collection with Newman against a local-mode gateway whose pool
 * requires MFA (LOCAL_MFA=on): the MFA_SETUP flow, which a pool with optional MFA never produces.
 */
import { useTestGateway } from "../helpers/gateway";
import { runCollection } from "../helpers/newman";

describe("Postman collection for a pool that requires MFA", () => {
  const gateway = useTestGateway({ LOCAL_MFA: "on" });

  test("runs MFA_SETUP end to end with zero failures", async () => {
    await runCollection("mfa-required.postman_collection.json", gateway);
  }, 120_000);
});
