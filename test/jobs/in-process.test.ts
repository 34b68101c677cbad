import { describeJobRunner } from './behaviour.ts';

describeJobRunner('in-process');
