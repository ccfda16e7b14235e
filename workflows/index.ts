// The workflow bundle's entry point: every workflow the worker serves is exported here.
export { doctorProbe } from './doctor-probe';
