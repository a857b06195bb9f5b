import{a}from"./chunk-ASTJ4YNE.js";export{a as socket};
