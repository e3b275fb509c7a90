// ESLint for the built-in JavaScript (js/builtins/*.js): each file is the body of a
// strict-mode function of (natives, internals), run as a classic script before user code
// (js/builtins.h). CTest runs this as `lint.builtins` (eslint from packaging/setup.sh, in
// third_party/npm/eslint).
'use strict';

module.exports = [
  {
    files: ['js/builtins/**/*.js'],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'script',
      parserOptions: { ecmaFeatures: { globalReturn: true } },
      globals: {
        natives: 'readonly',
        internals: 'readonly',
        // Globals the built-ins read (installed by C++ before or after them).
        globalThis: 'readonly',
        console: 'readonly',
        queueMicrotask: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        Headers: 'readonly',
        Request: 'readonly',
        Response: 'readonly',
        SharedArrayBuffer: 'readonly',
        WebAssembly: 'readonly',
      },
    },
    rules: {
      strict: ['error', 'global'],
      'no-undef': 'error',
      // WebIDL operations declare their optional parameters for .length and the conversion
      // order, whether or not the body reads them.
      // A State class (webidl.PlatformObject, 00_webidl.js) is used only from the interface
      // class nested in it, which ESLint counts as a self-reference.
      'no-unused-vars': ['error', {
        args: 'none', caughtErrors: 'none', varsIgnorePattern: '^[A-Z][A-Za-z]*State$',
      }],
      'no-control-regex': 'error',
      'no-var': 'error',
      'prefer-const': ['error', { destructuring: 'all' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-redeclare': 'error',
      'no-shadow-restricted-names': 'error',
      'no-implicit-globals': 'error',
      'no-eval': 'error',
      'no-new-func': 'error',
      'no-proto': 'off',
      'no-useless-escape': 'error',
      'no-fallthrough': 'error',
      'no-unreachable': 'error',
      'no-dupe-keys': 'error',
      'no-self-compare': 'error',
      'no-unsafe-finally': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
];
