/**
 * The QEMU conformance harness: boot a kernel with generated probes and the TUN
 * workload, capture, and judge each scenario's user-visible contract and mechanism.
 *
 *   const report = await runConform({ kernel: 'debian', scenarios: ['udp-pmtu'] });
 *   process.stdout.write(renderConform(report, 'ktap'));   // text | json | ktap | junit
 *   report.exitCode                                         // 0 / 1 / 2 / 3
 *
 * Kernel acquisition (./kernel) and type facts (./btf) are separate modules.
 */
export { runConform, reportToJson, type ConformOptions, type ConformReport, type TimingPhase, type RunProblem, type ScenarioVerdict } from './conform.ts';
export { renderConform, renderText, toConformResults, timingLine, type ConformFormat } from './render.ts';
export { SCENARIOS, SCENARIO_NAMES, scenarioByName, type ScenarioSpec, type ContractCheck } from './scenarios.ts';
export { bootQemu, findQemu, qemuArgs, type Accel, type BootOptions, type BootResult } from './qemu.ts';
export { chooseAccel, type AccelChoice, type AccelDecision } from './accel.ts';
export { buildInitramfs, type InitramfsInput, type GuestProbe } from './initramfs.ts';
export { writeNewc, readNewc, type CpioEntry } from './cpio.ts';
export { buildWorkload, WORKLOAD_DIR } from './workload-build.ts';
export { buildTreeKernel, CONFIG_FRAGMENT_DIR, type TreeKernel } from './build-kernel.ts';
export { parseCapture, expandCapture, analyseConsole, type GuestCapture } from './capture.ts';
export { checkMechanism, sliceByMarkers, type MechanismReport } from './mechanism.ts';
