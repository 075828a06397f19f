// What a call needs once someone joins one: the WebRTC controller and the
// video grid. Loaded on the first join, so a room that never calls never
// downloads them; whether a call is on is told by lib/calls, which is always there.
export { CallController } from '../calls/call-controller.ts';
export { default as CallGrid } from './CallGrid.svelte';
