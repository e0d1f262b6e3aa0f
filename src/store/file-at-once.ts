/**
 * auth.json's logins for `pi token`'s quick path (app/token-at-once.ts), which reads the file
 * itself in one round with the files beside it: the data as the file store's reader would take
 * it, or undefined wherever that reader would do more than parse — read an empty file again (the
 * reference truncates before it writes), report a file that does not parse, fill secrets in
 * from the keychain.
 */

import { parseStore } from "./file/format.ts";
import { type StoreData, hasKeyringMarkers } from "./schema.ts";

export function fileStoreDataAtOnce(path: string, text: string): StoreData | undefined {
  if (text.trim() === "") return undefined;
  let data: StoreData;
  try {
    data = parseStore(path, text);
  } catch {
    return undefined;
  }
  return hasKeyringMarkers(data) ? undefined : data;
}
