import { DatasetError } from '../errors';

function base(file: string): string {
  return file.replace(/^.*[\\/]/, '');
}

/** Metadata in an NTU RGB+D file name `SsssCcccPpppRrrrAaaa` (all 1-based as written). */
export interface NtuName {
  id: string;
  setup: number;
  camera: number;
  subject: number;
  replication: number;
  /** 1-based action number; the label is `action - 1`. */
  action: number;
}

const NTU_RE = /^S(\d{3})C(\d{3})P(\d{3})R(\d{3})A(\d{3})(?:\..*)?$/;

/**
 * Parses `SsssCcccPpppRrrrAaaa` (folders and any extension such as `.skeleton` are ignored).
 * @throws DatasetError BAD_FILENAME naming the file when the name does not match.
 */
export function parseNtuName(file: string): NtuName {
  const m = NTU_RE.exec(base(file));
  if (!m || Number(m[5]) < 1) {
    throw new DatasetError('BAD_FILENAME', 'not an NTU RGB+D sample name', {
      file, expected: 'SsssCcccPpppRrrrAaaa (e.g. S001C002P003R002A013)', found: JSON.stringify(base(file)) });
  }
  return { id: base(file).slice(0, 20), setup: +m[1], camera: +m[2], subject: +m[3], replication: +m[4], action: +m[5] };
}

/** Metadata in a UAV-Human file name such as `P000S00G10B10H10UC022000LC021000A000R0_08241716`. */
export interface UavName {
  id: string;
  /** Person (P). */
  subject: number;
  /** Session (S), stored as `setup`. */
  setup: number;
  /** 0-based action (A); the label. */
  action: number;
  /** Replication (R). */
  replication: number;
}

const UAV_RE = /^(P(\d+)S(\d+)G(\d+)B(\d+)H(\d+)UC(\d+)LC(\d+)A(\d+)R(\d+)_(\d+))(?:\..*)?$/;

/**
 * Parses a UAV-Human sample name (P person, S session, G gender, B backpack, H hat, UC upper clothes, LC lower
 * clothes, A action 0-based, R replication, then a date stamp).
 * @throws DatasetError BAD_FILENAME naming the file when the name does not match.
 */
export function parseUavName(file: string): UavName {
  const m = UAV_RE.exec(base(file));
  if (!m) {
    throw new DatasetError('BAD_FILENAME', 'not a UAV-Human sample name', {
      file, expected: 'P000S00G10B10H10UC022000LC021000A000R0_08241716', found: JSON.stringify(base(file)) });
  }
  return { id: m[1], subject: +m[2], setup: +m[3], action: +m[9], replication: +m[10] };
}

/** Metadata in a Toyota Smarthome name such as `Cook.Cleandishes_p02_r00_v02_c03.json`. */
export interface ToyotaName {
  id: string;
  /** Activity name as written (e.g. `Cook.Cleandishes`). */
  activity: string;
  subject: number;
  replication: number;
  /** Video number (v). */
  video: number;
  camera: number;
}

const TOYOTA_RE = /^(([A-Za-z][A-Za-z0-9.]*)_p(\d+)_r(\d+)_v(\d+)_c(\d+))(?:_pose3d)?(?:\.json)?$/;

/**
 * Parses a Toyota Smarthome clip name `Activity_pPP_rRR_vVV_cCC` (an optional `.json` extension is ignored).
 * @throws DatasetError BAD_FILENAME naming the file when the name does not match.
 */
export function parseToyotaName(file: string): ToyotaName {
  const m = TOYOTA_RE.exec(base(file));
  if (!m) {
    throw new DatasetError('BAD_FILENAME', 'not a Toyota Smarthome clip name', {
      file, expected: 'Activity_pPP_rRR_vVV_cCC (e.g. Cook.Cleandishes_p02_r00_v02_c03.json)', found: JSON.stringify(base(file)) });
  }
  return { id: m[1], activity: m[2], subject: +m[3], replication: +m[4], video: +m[5], camera: +m[6] };
}
