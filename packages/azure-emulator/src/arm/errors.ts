// ARM's error envelope: {"error":{"code","message","target?","details?"}}. Handlers throw
// ArmError; the dispatcher turns it into the HTTP answer Azure would give.

export interface ArmErrorDetail {
  code: string;
  message: string;
  target?: string;
  details?: ArmErrorDetail[];
  possibleCauses?: string;
  recommendedAction?: string;
}

export class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: { target?: string; details?: ArmErrorDetail[]; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'ArmError';
  }

  toBody(): { error: ArmErrorDetail } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.extra.target !== undefined ? { target: this.extra.target } : {}),
        ...(this.extra.details !== undefined ? { details: this.extra.details } : {}),
      },
    };
  }
}

export const notFound = (type: string, name: string, rg?: string): ArmError =>
  new ArmError(
    404,
    'ResourceNotFound',
    `The Resource '${type}/${name}' under resource group '${rg ?? ''}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  );

export const resourceGroupNotFound = (rg: string): ArmError =>
  new ArmError(404, 'ResourceGroupNotFound', `Resource group '${rg}' could not be found.`);

export const subscriptionNotFound = (sub: string): ArmError =>
  new ArmError(404, 'SubscriptionNotFound', `The subscription '${sub}' could not be found.`);

export const badRequest = (code: string, message: string, target?: string): ArmError =>
  new ArmError(400, code, message, target !== undefined ? { target } : {});

/**
 * Site Recovery's own error shape: a numeric-looking code and the cause and fix in details,
 * as its service answers (400, even for unknown objects).
 */
export function asrError(
  status: number,
  code: string,
  message: string,
  possibleCauses: string,
  recommendedAction: string,
): ArmError {
  return new ArmError(status, code, message, {
    details: [{ code, message, possibleCauses, recommendedAction }],
  });
}
