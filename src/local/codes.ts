import { randomInt } from "node:crypto";
import type { Context } from "cognito-local/lib/services/context";
import type { Message } from "cognito-local/lib/services/messages";
import type { MessageSender } from "cognito-local/lib/services/messageDelivery/messageSender";
import type { User } from "cognito-local/lib/services/userPoolService";
import { ConfigError } from "../errors";
import type { Logger } from "../logger";

/** What a confirmation code looks like in Cognito's e-mails: six digits. */
const CODE_PATTERN = /^\d{6}$/;

/**
 * Builds the emulator's one-time-code generator. cognito-local's own `otp` reads
 * `process.env.CODE` and uses `Math.random`; ours takes the code from options instead (so the
 * gateway's environment cannot leak in) and uses a CSPRNG.
 */
export function createOtp(fixedCode: string | undefined): () => string {
  if (fixedCode !== undefined) {
    if (!CODE_PATTERN.test(fixedCode)) {
      throw new ConfigError(
        "malformed",
        "LOCAL_CONFIRMATION_CODE",
        "The local emulator's fixed confirmation code must be exactly six digits, like the codes Cognito sends.",
      );
    }
    return () => fixedCode;
  }
  return () => randomInt(0, 1_000_000).toString().padStart(6, "0");
}

/** What a code is for, when the fidelity layer knows (the log line names it). Default: confirmation. */
export interface LocalCodeContext extends Context {
  readonly codePurpose?: "confirmation" | "password reset";
}

/** Options of {@link LocalCodeSender}. */
export interface LocalCodeSenderOptions {
  logger: Logger;
  onCode?: ((email: string, code: string) => void) | undefined;
}

/**
 * Replaces cognito-local's ConsoleMessageSender (a multi-line boxen box per message). Local mode
 * sends no e-mail, so the code must reach the developer some other way: one log line, the
 * optional `onCode` callback, and an in-memory "latest code per address" (of either kind:
 * confirmation or password reset) for a local-only endpoint.
 */
export class LocalCodeSender implements MessageSender {
  private readonly latest = new Map<string, string>();
  private readonly logger: Logger;
  private readonly onCode: ((email: string, code: string) => void) | undefined;

  constructor(options: LocalCodeSenderOptions) {
    this.logger = options.logger;
    this.onCode = options.onCode;
  }

  /** The most recent code delivered to `destination` (compared lower-cased), if any. */
  latestCode(destination: string): string | undefined {
    return this.latest.get(destination.toLowerCase());
  }

  sendEmail(ctx: Context, _user: User, destination: string, message: Message): Promise<void> {
    this.deliver(ctx, destination, message);
    return Promise.resolve();
  }

  sendSms(ctx: Context, _user: User, destination: string, message: Message): Promise<void> {
    this.deliver(ctx, destination, message);
    return Promise.resolve();
  }

  private deliver(ctx: LocalCodeContext, destination: string, message: Message): void {
    const code = message.__code;
    if (code === undefined) return;
    this.latest.set(destination.toLowerCase(), code);
    // The single deliberate exception to "no codes in logs", and only in local mode. The code
    // sits in the message text on purpose: every field named like a code is redacted.
    this.logger.warn(
      { localMode: true },
      `LOCAL MODE ${ctx.codePurpose ?? "confirmation"} code for ${destination}: ${code}`,
    );
    if (this.onCode) {
      try {
        this.onCode(destination, code);
      } catch (err: unknown) {
        // A failing observer must not turn the user's sign-up into an emulator error.
        this.logger.error({ err }, "local emulator onCode callback threw");
      }
    }
  }
}
