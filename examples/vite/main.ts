// The page's client: same origin as the page, so its requests reach Pushwire through Vite's proxy.
import { connect } from 'pushwire';

const client = connect('/pushwire');
client.subscribe<{ headline: string }>('news', {
  onMessage: (news) => {
    const item = document.createElement('li');
    item.textContent = news.headline;
    document.querySelector('#news')!.append(item);
  },
});
