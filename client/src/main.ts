document.getElementById('app')!.textContent = 'onetimechat';
