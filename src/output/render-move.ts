import type { MovedSource } from '../core/transfer/move.js';
import type { Rendered } from './batch.js';
import { namesVersion } from '../s3/version.js';

/**
 * An mv item: cp's line and JSON for the copy, and what became of the source. A versioned bucket keeps the source's
 * versions behind a delete marker (as rm says); JSON adds `moved: true` and, for an s3 source, `sourceMarkerCreated`.
 */
export function renderMoved(copied: Rendered, source: MovedSource): Rendered {
  const marker = source.removed?.markerCreated ?? null;
  const version = source.removed && namesVersion(source.removed.versionId) ? ` version ${source.removed.versionId}` : '';
  const said = marker ? 'source hidden behind a delete marker (versioning is on: its versions remain)' : `source${version} deleted`;
  return {
    line: Array.isArray(copied.line) ? [`${copied.line[0]}  ${said}`, ...copied.line.slice(1)] : `${copied.line}  ${said}`,
    json: { ...copied.json, moved: true, ...(source.removed ? { sourceMarkerCreated: marker } : {}) },
    kind: copied.kind,
  };
}
