// Sizes on the command line, spelled as Kubernetes quantities: "1572864", "1.5Mi", "512Ki", "2M".

import { milliValue, parseQuantity, QuantityError } from "../machinery/quantity.ts";

/** Bytes of a size flag; throws a message naming `flag` when it is not a whole size of at least `min`. */
export function parseByteSizeFlag(text: string, flag: string, min = 1): number {
  let milli: bigint;
  try {
    milli = milliValue(parseQuantity(text));
  } catch (e) {
    if (!(e instanceof QuantityError)) throw e;
    throw new Error(`${flag}: invalid size "${text}" (examples: 1.5Mi, 512Ki, 2097152)`);
  }
  const bytes = Number((milli + 999n) / 1000n);
  if (!Number.isSafeInteger(bytes) || bytes < min)
    throw new Error(`${flag} must be at least ${min} bytes, not "${text}"`);
  return bytes;
}
