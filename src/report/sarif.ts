/**
 * SARIF 2.1.0 for code-review annotations. Stable rule ids and repository-relative URIs,
 * so that uploads de-duplicate; a partial fingerprint per result.
 */
import { createHash } from 'node:crypto';

export type SarifLevel = 'error' | 'warning' | 'note' | 'none';

export interface SarifRule {
  id: string;
  name: string;
  shortDescription: string;
  fullDescription?: string;
  defaultLevel: SarifLevel;
}

export interface SarifFinding {
  ruleId: string;
  level: SarifLevel;
  message: string;
  /** Repository-relative path (net/ipv4/route.c) or the patch file's path. */
  uri: string;
  startLine: number;
  startColumn?: number;
  endLine?: number;
  endColumn?: number;
  /** Extra machine-readable data (kept under properties). */
  properties?: Record<string, unknown>;
}

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

export function toSarif(toolVersion: string, rules: SarifRule[], findings: SarifFinding[], informationUri?: string): object {
  return {
    version: '2.1.0',
    $schema: SARIF_SCHEMA,
    runs: [
      {
        tool: {
          driver: {
            name: 'peerprop',
            version: toolVersion,
            ...(informationUri ? { informationUri } : {}),
            rules: rules.map((r) => ({
              id: r.id,
              name: r.name,
              shortDescription: { text: r.shortDescription },
              ...(r.fullDescription ? { fullDescription: { text: r.fullDescription } } : {}),
              defaultConfiguration: { level: r.defaultLevel },
            })),
          },
        },
        results: findings.map((f) => ({
          ruleId: f.ruleId,
          ruleIndex: Math.max(0, rules.findIndex((r) => r.id === f.ruleId)),
          level: f.level,
          message: { text: f.message },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: f.uri },
                region: {
                  startLine: Math.max(1, f.startLine),
                  ...(f.startColumn ? { startColumn: f.startColumn } : {}),
                  ...(f.endLine ? { endLine: f.endLine } : {}),
                  ...(f.endColumn ? { endColumn: f.endColumn } : {}),
                },
              },
            },
          ],
          partialFingerprints: {
            primaryLocationLineHash: createHash('sha256').update(`${f.ruleId}\0${f.uri}\0${f.message}`).digest('hex').slice(0, 32),
          },
          ...(f.properties ? { properties: f.properties } : {}),
        })),
      },
    ],
  };
}
