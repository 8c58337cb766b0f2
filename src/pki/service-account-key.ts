// The key that signs service account tokens (ES256), kept in the data directory so tokens issued
// before a restart stay valid. Like kube-apiserver's --service-account-signing-key-file, but
// generated on first start; a missing or unreadable file gets a new key (old tokens stop working).
import { createPrivateKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../util/atomic-write.ts";

export const SERVICE_ACCOUNT_KEY_FILE = "service-account.key";

function isP256PrivateKey(pem: string): KeyObject | undefined {
  try {
    const key = createPrivateKey(pem);
    return key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1" ? key : undefined;
  } catch {
    return undefined;
  }
}

/** The PKCS#8 PEM of the service account signing key, created (mode 0600) when missing. */
export async function ensureServiceAccountKey(dataDir: string): Promise<string> {
  const path = join(dataDir, SERVICE_ACCOUNT_KEY_FILE);
  const existing = await readFile(path, "utf8").catch(() => undefined);
  if (existing !== undefined && isP256PrivateKey(existing)) return existing;
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const pem = privateKey.export({ type: "pkcs8", format: "pem" }) as string;
  await writeFileAtomic(path, pem, 0o600);
  return pem;
}
