// Defaults shared by the CLI, the worker and the tests, so that a worker and a client
// started without flags meet on the same task queue.
export const DEFAULT_TASK_QUEUE = 'asrflow';
export const DEFAULT_NAMESPACE = 'default';
