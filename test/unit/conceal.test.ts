import { describe, expect, test } from "bun:test";
import { CONCEALED, Concealer } from "../../src/core/conceal.ts";

const SECRET = "sk-or-v1-abcdefghijklmnopqrstuvwxyz";
const run = (secrets: string[], chunks: string[]) => {
  const c = new Concealer(secrets);
  return chunks.map((x) => c.push(Buffer.from(x)).toString()).join("") + c.flush().toString();
};

describe("concealing handed-over secrets in a stream", () => {
  test("every occurrence in one write is replaced", () => {
    expect(run([SECRET], [`a ${SECRET} b ${SECRET}\n`])).toBe(`a ${CONCEALED} b ${CONCEALED}\n`);
  });

  test("a secret split across writes, at every point, is replaced", () => {
    for (let cut = 1; cut < SECRET.length; cut++) {
      expect(run([SECRET], [`x${SECRET.slice(0, cut)}`, `${SECRET.slice(cut)}y`])).toBe(`x${CONCEALED}y`);
    }
  });

  test("what only looks like a secret's start goes out once the next write shows it is not", () => {
    const c = new Concealer([SECRET]);
    expect(c.push(Buffer.from("value sk-or")).toString()).toBe("value ");
    expect(c.push(Buffer.from("ange\n")).toString()).toBe("sk-orange\n");
  });

  test("a short held piece may go after a quiet; a long one is held", () => {
    const c = new Concealer([SECRET]);
    c.push(Buffer.from("ask"));
    expect(c.holdsOnlyAFewBytes).toBe(true);
    c.push(Buffer.from("-or-v1-abc"));
    expect(c.holdsOnlyAFewBytes).toBe(false);
  });

  test("bytes that are not text pass unchanged", () => {
    const c = new Concealer([SECRET]);
    const binary = Buffer.from([0, 255, 128, 10, 200]);
    expect(Buffer.concat([c.push(binary), c.flush()]).equals(binary)).toBe(true);
  });
});
