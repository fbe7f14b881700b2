import { readdirSync, readFileSync } from "node:fs";
import { HashWorkers, hashWorkersSupported } from "../../src/identity/hashWorkers";
import { PasswordHasher } from "../../src/identity/passwords";

// Cheap argon2id parameters: these tests are about where hashes run, not their cost.
const OPTIONS = { algorithm: 2, memoryCost: 1024, timeCost: 1, parallelism: 1 };

/** The nice value of every thread of this process (field 19 of /proc/self/task/<tid>/stat). */
function threadNiceValues(): number[] {
  return readdirSync("/proc/self/task").map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
    // The command name may hold spaces and parentheses: fields are counted after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[16]);
  });
}

const linux = hashWorkersSupported ? describe : describe.skip;

linux("HashWorkers (argon2id in low-priority threads)", () => {
  let workers: HashWorkers;
  beforeEach(() => {
    workers = new HashWorkers(2);
  });
  afterEach(() => workers.close());

  it("hashes and verifies: the right password true, a wrong one false", async () => {
    const encoded = await workers.hash("Correct-Horse-9", OPTIONS);
    expect(encoded).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
    await expect(workers.verify(encoded, "Correct-Horse-9")).resolves.toBe(true);
    await expect(workers.verify(encoded, "Correct-Horse-8")).resolves.toBe(false);
  });

  it("answers false for a corrupt stored hash rather than failing the sign-in", async () => {
    await expect(workers.verify("$argon2id$v=19$garbage", "x")).resolves.toBe(false);
  });

  it("stops a sign-in storm from taking the event loop's core: hashes run at nice 19, the event loop stays at 0", async () => {
    const before = threadNiceValues().filter((n) => n === 19).length;
    await workers.hash("Correct-Horse-9", OPTIONS);
    const after = threadNiceValues();
    expect(after.filter((n) => n === 19).length).toBe(before + 1);
    // The event loop's own thread (the process's main thread) keeps its priority.
    const main = readFileSync("/proc/self/stat", "utf8");
    expect(Number(main.slice(main.lastIndexOf(")") + 2).split(" ")[16])).toBe(0);
  });

  it("runs at most `size` hashes at once, in as many threads, and answers every one in order of its own result", async () => {
    const passwords = Array.from({ length: 7 }, (_, i) => `Password-${i}`);
    const encoded = await Promise.all(passwords.map((p) => workers.hash(p, OPTIONS)));
    expect(new Set(encoded).size).toBe(7);
    const checks = await Promise.all(
      encoded.map((e, i) => workers.verify(e, passwords[(i + 1) % 7]!)),
    );
    expect(checks).toEqual(Array(7).fill(false));
    const own = await Promise.all(encoded.map((e, i) => workers.verify(e, passwords[i]!)));
    expect(own).toEqual(Array(7).fill(true));
    expect(threadNiceValues().filter((n) => n === 19).length).toBeLessThanOrEqual(2);
  });

  it("after close, refuses new work and fails work still queued", async () => {
    const queued = Promise.all(
      Array.from({ length: 4 }, () => workers.hash("Correct-Horse-9", OPTIONS)),
    );
    const outcome = queued.then(
      () => "resolved",
      (err: Error) => err.message,
    );
    await workers.close();
    await expect(outcome).resolves.toMatch(/stopped|terminated|exited/);
    await expect(workers.hash("x", OPTIONS)).rejects.toThrow("password hashing stopped");
  });
});

describe("PasswordHasher", () => {
  it("verifies what it hashed, through whichever runner the platform gets, and closes", async () => {
    const hasher = new PasswordHasher({ memoryKib: 1024, iterations: 1 });
    try {
      const encoded = await hasher.hash("Correct-Horse-9");
      await expect(hasher.verify(encoded, "Correct-Horse-9")).resolves.toBe(true);
      await expect(hasher.verify(encoded, "wrong")).resolves.toBe(false);
      await expect(hasher.verifyDummy("anything")).resolves.toBe(false);
    } finally {
      await hasher.close();
    }
  });
});
