console.log('example: not built yet');
