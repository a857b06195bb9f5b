import{a}from"./chunk-WMQSCZHU.js";export{a as socket};
