import { secretHash } from "../../src/cognito/secret-hash";

describe("secretHash", () => {
  // Vectors computed outside the project with:
  //   printf '<username><clientId>' | openssl dgst -sha256 -hmac '<secret>' -binary | base64
  it("matches the openssl vector for an email username", () => {
    expect(secretHash("user@example.com", "1example23clientid", "c3ecr3t-Cl1ent-S3cret")).toBe(
      "IOjU8x1LujXylzSv+G2vuZ7FZ+CJQQAsLRebaLt/3ss=",
    );
  });

  it("matches the openssl vector for an internal (sub) username", () => {
    expect(
      secretHash(
        "7d2c5f8e-0000-4000-8000-000000000001",
        "1example23clientid",
        "c3ecr3t-Cl1ent-S3cret",
      ),
    ).toBe("ZhVFmdbpkpYS8nF9NSIQzQE0qcFmEs2g1DHXvZaDWhU=");
  });
});
