/**
 * A minimal Jupyter client for end-to-end tests against a real kernel (Deno's `deno jupyter --kernel`):
 * it writes a connection file, starts the kernel, speaks the wire protocol (version 5.3, messages
 * signed with HMAC-SHA256) over ZeroMQ on the shell and iopub channels, and stops the kernel again.
 * Only what the tests need: `kernel_info_request` to wait for the kernel, `execute_request` to run code.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { createServer, type Server } from "node:net";
import { arch, platform } from "node:os";
import { dirname, join } from "node:path";
import { Dealer, Subscriber } from "zeromq";

/**
 * The native Deno executable of the `deno` npm package, or null where the package is not installed.
 * The package's bin (`bin.cjs`) is a Node wrapper that runs the binary with `spawnSync`: killing the
 * wrapper would leave the kernel running, so the binary itself is started. It is the copy in the
 * package folder where one was made (the package's install script, or a first run of `bin.cjs`), else
 * the one in the platform package (`@deno/linux-x64-glibc`, ...), which is all a plain install has
 * while install scripts are off.
 */
export function findDenoExecutable(): string | null {
  const name = platform() === "win32" ? "deno.exe" : "deno";
  let packageJson: string;
  try {
    packageJson = createRequire(import.meta.url).resolve("deno/package.json");
  } catch {
    return null;
  }
  const copied = join(dirname(packageJson), name);
  if (existsSync(copied)) return copied;
  const target = platform() === "linux" ? `linux-${arch()}-glibc` : `${platform()}-${arch()}`;
  try {
    const binary = join(dirname(createRequire(packageJson).resolve(`@deno/${target}/package.json`)), name);
    return existsSync(binary) ? binary : null;
  } catch {
    return null;
  }
}

/** `count` TCP ports free on 127.0.0.1 (all held open together, so that they differ, then released). */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => resolve());
      });
      const address = server.address();
      if (address === null || typeof address === "string") throw new Error("no TCP address");
      ports.push(address.port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

/** A Jupyter message header (protocol 5.3). */
export interface MessageHeader {
  msg_id: string;
  session: string;
  username: string;
  date: string;
  msg_type: string;
  version: string;
}

/** A message as received: parsed parts, and whether its signature was right. */
export interface JupyterMessage {
  header: MessageHeader;
  /** The header of the request this answers, or `{}`. */
  parent_header: Partial<MessageHeader>;
  metadata: Record<string, unknown>;
  content: Record<string, unknown>;
  signatureValid: boolean;
}

/** What one `execute_request` produced. */
export interface Execution {
  /** The `execute_reply` on the shell channel. */
  reply: JupyterMessage;
  /** Every iopub message whose parent is the request, in order, received until all that was awaited came. */
  iopub: JupyterMessage[];
}

const delimiter = "<IDS|MSG>";

/** A received message's frames, in order, with a way to wait for the next one that matches. */
class Inbox {
  readonly messages: JupyterMessage[] = [];
  private waiters: (() => void)[] = [];

  push(message: JupyterMessage): void {
    this.messages.push(message);
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** The first message (received so far or later) that `match` accepts; rejects after `timeoutMs`. */
  async find(
    match: (message: JupyterMessage) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<JupyterMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(match);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

/** Options of {@link startKernel}. */
export interface KernelOptions {
  /** The Deno executable (see {@link findDenoExecutable}). */
  deno: string;
  /** An empty scratch folder for the connection file and DENO_DIR; the caller removes it. */
  folder: string;
  /** How long to wait for the kernel to answer `kernel_info_request` (default 60 s). */
  startTimeoutMs?: number;
}

/** Options of {@link KernelClient.execute}. */
export interface ExecuteOptions {
  /** iopub message types to wait for, one of each (default none). */
  outputs?: readonly string[];
  /** How long to wait for all of it (default 30 s). */
  timeoutMs?: number;
}

/** A running kernel and a client connected to it. */
export interface KernelClient {
  /** The kernel's `kernel_info_reply` content. */
  readonly info: Record<string, unknown>;
  /** Every message received on iopub so far. */
  readonly iopub: readonly JupyterMessage[];
  /** Every message received on shell so far. */
  readonly shell: readonly JupyterMessage[];
  /** What the kernel process wrote to stdout and stderr so far (for failure messages). */
  output(): string;
  /**
   * Runs `code` as one cell and waits for its `execute_reply`, its `status: idle`, and one iopub message
   * of each type in `outputs`. Deno's kernel publishes `execute_result` and `display_data` from an async
   * op of the cell's runtime, not in order with `status: idle`, so they may come after it.
   */
  execute(code: string, options?: ExecuteOptions): Promise<Execution>;
  /** Closes the sockets and stops the kernel (SIGTERM, then SIGKILL after 5 s); safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts `deno jupyter --kernel` on free local ports and connects to it; resolves once the kernel has
 * answered a `kernel_info_request` on shell and iopub delivers messages (a subscriber misses what is
 * published before its subscription reaches the kernel, so the first answer alone is not enough).
 * On failure the kernel is stopped before the promise rejects.
 */
export async function startKernel(options: KernelOptions): Promise<KernelClient> {
  const [shellPort, iopubPort, stdinPort, controlPort, hbPort] = await freePorts(5);
  const key = randomBytes(32).toString("hex");
  const connectionFile = join(options.folder, "connection.json");
  await writeFile(
    connectionFile,
    JSON.stringify({
      transport: "tcp",
      ip: "127.0.0.1",
      shell_port: shellPort,
      iopub_port: iopubPort,
      stdin_port: stdinPort,
      control_port: controlPort,
      hb_port: hbPort,
      signature_scheme: "hmac-sha256",
      key,
      kernel_name: "deno",
    }),
  );

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DENO_DIR: join(options.folder, "deno-dir"),
    NO_COLOR: "1",
    DENO_NO_UPDATE_CHECK: "1",
    DENO_NO_PROMPT: "1",
  };
  delete env.FORCE_COLOR;
  const child: ChildProcess = spawn(options.deno, ["jupyter", "--kernel", "--conn", connectionFile], {
    cwd: options.folder,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  let exited: string | null = null;
  const exit = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      exited = `exited with ${signal ?? code}`;
      resolve();
    });
    child.once("error", (error) => {
      exited = `failed to start: ${error.message}`;
      resolve();
    });
  });

  const session = randomUUID();
  const sign = (parts: readonly (string | Buffer)[]): string => {
    const hmac = createHmac("sha256", key);
    for (const part of parts) hmac.update(part);
    return hmac.digest("hex");
  };
  const parse = (frames: Buffer[]): JupyterMessage | null => {
    const at = frames.findIndex((frame) => frame.toString() === delimiter);
    if (at < 0 || frames.length < at + 6) return null;
    const [signature, header, parent, metadata, content] = frames.slice(at + 1, at + 6) as Buffer[];
    const expected = Buffer.from(sign([header!, parent!, metadata!, content!]));
    const signatureValid = signature!.length === expected.length && timingSafeEqual(signature!, expected);
    return {
      header: JSON.parse(header!.toString()) as MessageHeader,
      parent_header: JSON.parse(parent!.toString()) as Partial<MessageHeader>,
      metadata: JSON.parse(metadata!.toString()) as Record<string, unknown>,
      content: JSON.parse(content!.toString()) as Record<string, unknown>,
      signatureValid,
    };
  };

  const shell = new Dealer({ linger: 0 });
  const iopub = new Subscriber({ linger: 0 });
  shell.connect(`tcp://127.0.0.1:${shellPort}`);
  iopub.connect(`tcp://127.0.0.1:${iopubPort}`);
  iopub.subscribe();
  const shellInbox = new Inbox();
  const iopubInbox = new Inbox();
  const pump = async (socket: Dealer | Subscriber, inbox: Inbox) => {
    try {
      for await (const frames of socket) {
        const message = parse(frames);
        if (message) inbox.push(message);
      }
    } catch {
      // The socket was closed.
    }
  };
  const pumps = [pump(shell, shellInbox), pump(iopub, iopubInbox)];

  const send = async (msgType: string, content: Record<string, unknown>): Promise<MessageHeader> => {
    const header: MessageHeader = {
      msg_id: randomUUID(),
      session,
      username: "tokenscope-test",
      date: new Date().toISOString(),
      msg_type: msgType,
      version: "5.3",
    };
    const parts = [JSON.stringify(header), "{}", "{}", JSON.stringify(content)];
    await shell.send([delimiter, sign(parts), ...parts]);
    return header;
  };
  const childOf = (request: MessageHeader, type?: string) => (message: JupyterMessage) =>
    message.parent_header.msg_id === request.msg_id &&
    (type === undefined || message.header.msg_type === type);
  const alive = () => {
    if (exited !== null) throw new Error(`the kernel ${exited}:\n${output}`);
  };

  let closed: Promise<void> | null = null;
  const close = () => {
    closed ??= (async () => {
      shell.close();
      iopub.close();
      await Promise.all(pumps);
      if (exited === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await exit;
        clearTimeout(timer);
      }
    })();
    return closed;
  };

  try {
    const startTimeout = options.startTimeoutMs ?? 60_000;
    const deadline = Date.now() + startTimeout;
    let info: Record<string, unknown> | null = null;
    for (;;) {
      alive();
      if (Date.now() > deadline)
        throw new Error(`the kernel did not get ready in ${startTimeout} ms:\n${output}`);
      const request = await send("kernel_info_request", {});
      try {
        const reply = await shellInbox.find(
          childOf(request, "kernel_info_reply"),
          2_000,
          "kernel_info_reply",
        );
        info ??= reply.content;
        await iopubInbox.find(childOf(request), 1_000, "iopub messages");
        break;
      } catch {
        // Not answered yet (still starting, or iopub not subscribed yet): ask again.
      }
    }
    return {
      info,
      iopub: iopubInbox.messages,
      shell: shellInbox.messages,
      output: () => output,
      async execute(code, { outputs = [], timeoutMs = 30_000 } = {}) {
        alive();
        const request = await send("execute_request", {
          code,
          silent: false,
          store_history: true,
          user_expressions: {},
          allow_stdin: false,
          stop_on_error: true,
        });
        const seen = () =>
          iopubInbox.messages
            .filter(childOf(request))
            .map((message) => JSON.stringify({ type: message.header.msg_type, content: message.content }))
            .join("\n");
        const what = (type: string) => `${type} of ${JSON.stringify(code)}`;
        try {
          const [reply] = await Promise.all([
            shellInbox.find(childOf(request, "execute_reply"), timeoutMs, what("execute_reply")),
            iopubInbox.find(
              (message) =>
                childOf(request, "status")(message) && message.content["execution_state"] === "idle",
              timeoutMs,
              what("status idle"),
            ),
            ...outputs.map((type) => iopubInbox.find(childOf(request, type), timeoutMs, what(type))),
          ]);
          return { reply, iopub: iopubInbox.messages.filter(childOf(request)) };
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          throw new Error(`${message}\niopub messages of the cell:\n${seen()}\nkernel output:\n${output}`);
        }
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
