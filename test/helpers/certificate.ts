/** A self-signed certificate for `subject` (and its key) made with openssl in `dir`, for test servers that speak TLS. */
export function selfSignedCertificate(dir: string, subject: string, base = "cert"): { key: string; cert: string } {
  const key = `${dir}/${base}.key`;
  const cert = `${dir}/${base}.crt`;
  const args = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2"];
  const made = Bun.spawnSync(["openssl", ...args, "-subj", subject], { stderr: "pipe" });
  if (!made.success) throw new Error(`openssl req failed: ${made.stderr.toString()}`);
  return { key, cert };
}
