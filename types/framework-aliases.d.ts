// The test suite runs every case against Express 4 and 5 and Koa 2 and 3, installed side by side
// under aliases; they share the types of the current major.
declare module 'express4' {
  import express from 'express';
  export default express;
}
declare module 'koa2' {
  import Koa from 'koa';
  export default Koa;
}
