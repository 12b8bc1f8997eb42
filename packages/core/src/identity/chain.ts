/**
 * Identity chain: who started the work and which actors stand between them and
 * an AWS call, most recent last (`User alice → Pod agents/planner → Agent "s3-cleanup"`).
 * Modelled on the RFC 8693 `act` claim. Built by AgentRail components from what
 * they verified themselves — never from what a caller claims about itself.
 */
export type ActorType = 'User' | 'ServiceAccount' | 'Pod' | 'Host' | 'Agent';

export interface Actor {
  type: ActorType;
  name: string;
}

/** A chain always starts with its initiator. */
export type Chain = readonly Actor[];

/** Agent names are labels people read in the trail: printable, bounded. */
export const AGENT_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._:@/-]{0,127}$/;
