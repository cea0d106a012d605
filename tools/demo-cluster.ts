/**
 * `npm run demo:cluster`: redis-server, the shared Cognito emulator, three gateway instances and
 * HAProxy round-robin on one port, all on 127.0.0.1 (see tools/lib/cluster.ts). Prints the URL
 * and a curl walk-through of the lifecycle, then waits; Ctrl-C stops everything it started.
 *
 *   npm run demo:cluster            # three instances
 *   DEMO_INSTANCES=5 npm run demo:cluster
 */
import { startCluster, type Cluster } from "./lib/cluster";
import { intFromEnv } from "./lib/http";
import { stopAllChildren } from "./lib/processes";

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function walkthrough(cluster: Cluster): string {
  const u = cluster.url;
  const json = "-H 'content-type: application/json'";
  return `
Cluster ready. One URL, ${String(cluster.instances.length)} gateway instances behind HAProxy (round-robin):

  ${u}            account page (each request may land on another instance)
  ${u}/readyz     every instance answers; the X-Served-By header names it

Walk the lifecycle with curl (every request goes through HAProxy):

  U=${u}; E=you@example.com; P='Corr3ct-Horse!'
  curl -si $U/auth/register ${json} -d "{\\"email\\":\\"$E\\",\\"password\\":\\"$P\\"}"
  curl -s "${cluster.instances[0]?.url ?? u}/_local/confirmation-code?email=$E"   # the code (local-only: straight to an instance, never through the balancer)
  curl -si $U/auth/confirm ${json} -d "{\\"email\\":\\"$E\\",\\"code\\":\\"<code>\\"}"
  curl -s $U/auth/login ${json} -d "{\\"email\\":\\"$E\\",\\"password\\":\\"$P\\"}"
  T=<accessToken from the login answer>
  for i in 1 2 3; do curl -si $U/auth/me -H "authorization: Bearer $T" | grep -Ei '^(HTTP|x-served-by)'; done
  curl -si -X POST $U/auth/logout -H "authorization: Bearer $T" ${json} -d '{}'
  for i in 1 2 3; do curl -si $U/auth/me -H "authorization: Bearer $T" | grep -Ei '^(HTTP|x-served-by)'; done
      # 401 on every instance: the logout reached them all through Redis

Instances directly: ${cluster.instances.map((g) => `${g.name} ${g.url}`).join(" · ")}
Emulator: ${cluster.emulatorUrl} · Redis: ${cluster.redisUrl ?? "off"}
Logs and haproxy.cfg: ${cluster.dir} (removed on exit)

Ctrl-C stops everything.`;
}

async function main(): Promise<void> {
  const instances = intFromEnv("DEMO_INSTANCES", 3, 1, 16);
  say(`Starting redis-server, the Cognito emulator, ${String(instances)} gateways and HAProxy…`);
  const state: { cluster?: Cluster; stopping: boolean } = { stopping: false };
  const stop = (signal: string) => {
    if (state.stopping) return;
    state.stopping = true;
    say(`\n${signal}: stopping everything…`);
    void (state.cluster?.stop() ?? stopAllChildren()).then(() => {
      say("Stopped.");
      process.exit(0);
    });
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  state.cluster = await startCluster({
    instances,
    redis: true,
    log: (line) => {
      say(`  ${line}`);
    },
  });
  say(walkthrough(state.cluster));
  // Runs until a signal; the children live in their own process groups and are stopped by it.
  await new Promise<never>(() => undefined);
}

main().catch(async (error: unknown) => {
  console.error(`demo:cluster: ${error instanceof Error ? error.message : String(error)}`);
  await stopAllChildren();
  process.exit(1);
});
